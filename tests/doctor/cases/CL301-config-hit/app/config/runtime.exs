import Config
config :my_app, dns_cluster_query: "app"
# application.ex starts {DNSCluster, query: ...}
