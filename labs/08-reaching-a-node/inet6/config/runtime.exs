import Config

# What `mix phx.new` generates: dns_cluster's query from DNS_CLUSTER_QUERY (application.ex
# starts `{DNSCluster, query: Application.get_env(:clusterlab, :dns_cluster_query) || :ignore}`).
# dns_cluster asks for A and AAAA records and dials `app@<address>` for every answer.
config :clusterlab, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")

# dns_cluster's other options: poll every 500 ms (its default is 5000)
config :clusterlab, :dns_cluster, interval: 500
