"""Serving: the BentoML service. Loads models only through the registry; never imports training."""
