"""Pictures and tables: topology, DNS matrix, series, check verdict (matplotlib, no pyplot)."""
