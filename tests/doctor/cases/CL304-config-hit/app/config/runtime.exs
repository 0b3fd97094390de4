import Config
config :libcluster, topologies: [app: [
  strategy: Cluster.Strategy.Epmd,
  config: [hosts: [:"app@a.lab", :"app@b.lab"]]]]
