"""The console's model pages: the ledger's (`ledger`) and the banner's (`banner`).

They live with the console, not in the apps, because they call the features (publishing
policies, rights requests, exports); the console app imports them once the registry is ready.
"""
