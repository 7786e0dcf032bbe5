"""HTTP views, one module per aggregate; monitoring/urls.py wires them."""
