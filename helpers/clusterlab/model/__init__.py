"""What a probe saw, as plain data (``Snapshot``) and as a networkx graph (topology)."""
