"""Where each query goes: the primary, or (for anonymous reads of published data) a read replica.

Without DATABASE_REPLICA_URL every query goes to the primary ("default").
"""


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
