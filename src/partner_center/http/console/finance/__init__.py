"""Sales > Financial Information: Partner Bills with Repay (online, bank transfer), account
statements; the operator's bank-transfer tickets."""
