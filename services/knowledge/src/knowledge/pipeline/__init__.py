"""Stream -> graph: decode and order what arrives (``ordering``), fill gaps from the sources' feeds (``feed``),
write each batch in one transaction (``graph_writer``), consume the stream (``projector``), replay a dead
letter after a fix (``replay``)."""
