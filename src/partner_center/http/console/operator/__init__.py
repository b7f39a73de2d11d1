"""The operator console: partners and resellers, the sandbox clock."""
