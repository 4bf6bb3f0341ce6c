"""Parsers: raw command and API outputs (artifacts) into plain Python facts."""
