"""Chat accounts and the directory person each belongs to: link codes, e-mail linking."""
