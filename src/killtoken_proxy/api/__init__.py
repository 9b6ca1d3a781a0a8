"""HTTP surface: FastAPI routers for each door and endpoint group, and error rendering per dialect."""
