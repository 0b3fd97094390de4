import Config

# The team's connect_to_cluster/0 (lib/cluster_lab/application.ex starts it when this is
# set): as the application starts, one Node.connect/1 to each node of this list except
# the node itself. n1 and n3 connect to n2; n2 connects to nobody.
config :clusterlab, :connect_to_cluster, [:"app@n2.lab"]
