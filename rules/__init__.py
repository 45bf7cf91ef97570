"""Built-in rule files (data only), shipped inside the wheel."""
