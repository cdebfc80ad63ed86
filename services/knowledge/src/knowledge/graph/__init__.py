"""The graph adapter: all Cypher of the knowledge service lives here, parameterised, labels and types from fixed lists."""
