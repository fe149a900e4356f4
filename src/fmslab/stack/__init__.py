"""The Compose stack in `stack/`: its model, its validation, and the commands that drive Docker."""
