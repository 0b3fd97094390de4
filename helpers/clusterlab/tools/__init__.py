"""Around the product: the notebook runner (stall guard), the docs site, the offline room kit."""
