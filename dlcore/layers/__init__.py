"""Building blocks every model uses: activations, initialization schemes, dropout, norms."""
