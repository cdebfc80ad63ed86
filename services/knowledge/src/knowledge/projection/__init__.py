"""The projector: stream -> ordered, verified events -> one Neo4j transaction per batch -> ack."""
