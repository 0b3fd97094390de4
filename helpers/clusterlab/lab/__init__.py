"""One running Compose project: ``Lab`` (start, look inside, break, remove), its cookie,
its stack as the engine got it, readiness, and the registry that leaves nothing behind."""
