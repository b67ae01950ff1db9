"""What team leaders and regions see: the web overview's data, sign-in, figures, digests."""
