"""The app on the network: live view and control in a browser (web/), VMC/OSC."""
