"""Built-in JSON schemas (data only), shipped inside the wheel."""
