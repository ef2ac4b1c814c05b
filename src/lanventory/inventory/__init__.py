"""Pure inventory rules: plain values in, plain values out, the clock passed in."""
