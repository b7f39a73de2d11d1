"""The association services, one module per use case; the composition root's container builds
them on one unit of work, sharing one ``AssociationCollaborators``."""
