"""Platform-free core: everything between the sensor and the screen."""
