"""Time on tickets: quick time, the Work it modal, the end-of-day reminder."""
