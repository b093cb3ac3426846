"""Report layer: the report page, the topic page and the font subset they carry."""
