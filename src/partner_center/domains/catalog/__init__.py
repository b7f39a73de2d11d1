"""The product catalogue: service and resource types, specifications, measure units, list
prices (effective-dated) and the inquiry maths built on them."""
