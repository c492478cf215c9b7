"""The lowest layer: settings, errors, text utilities, language id, the encoder, vector indices,
artifacts. Imports nothing else from models/."""
