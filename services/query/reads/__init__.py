"""The query service's SQL: named statements with $n parameters, rows become Structs here."""
