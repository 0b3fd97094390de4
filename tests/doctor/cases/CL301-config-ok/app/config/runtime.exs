import Config
config :libcluster, topologies: [app: [
  strategy: Cluster.Strategy.Epmd,
  config: [timeout: 5_000, hosts: [:"app@a.lab", :"app@b.lab"]]]]
