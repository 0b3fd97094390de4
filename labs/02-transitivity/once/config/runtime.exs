import Config

# The seed's connect_to_cluster/0 (lib/cluster_lab/application.ex starts it when this is
# set): as the application starts, one Node.connect/1 to each node of this list except
# itself, and never again. n1 and n3 dial n2; n2's list holds only itself, so it dials
# nobody (like the seed's user_svc).
config :clusterlab, :connect_to_cluster, [:"app@n2.lab"]
