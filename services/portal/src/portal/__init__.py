"""planspor portal: server-rendered pages over the three services' HTTP APIs (README.md beside src/)."""
