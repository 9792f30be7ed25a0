"""The NiceGUI pages: one module per page, one frame for all, one view-model per page."""
