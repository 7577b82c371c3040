"""The staff console: the Django admin shaped for a DPO's day (site, views, charts, sign-in)."""
