"""Present so the convention would find it; the plugin's mutuo_models points elsewhere."""
