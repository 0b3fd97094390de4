import Config

# libcluster's Epmd: the full name of every node, dialled again every 500 ms (lesson 5
# shows why the `timeout:` matters).
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [
        hosts: [:"app@user_svc.msvc_default", :"app@job_svc.msvc_default", :"app@email_svc.msvc_default"],
        timeout: 500
      ]
    ]
  ]
