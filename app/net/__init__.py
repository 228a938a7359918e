"""The app on the network: the web view (web/) and VMC face capture (vmc.py)."""
