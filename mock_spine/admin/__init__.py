"""Developer controls: change records and inject faults on a running mock Spine."""
