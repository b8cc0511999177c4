"""Files on disk: YAML with positions, the schemas and the fast check, the folder walker, the cache, atomic writes."""
