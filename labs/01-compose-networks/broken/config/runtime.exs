import Config

# libcluster's Epmd strategy: every node dials the full name of every listed node, and
# dials those it is not connected to again every 500 ms (`timeout:`, in ms).
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [
        hosts: [
          :"client_svc@client_svc.msvc_default",
          :"user_svc@user_svc.msvc_default",
          :"job_svc@job_svc.msvc_default",
          :"image_svc@image_svc.msvc_default",
          :"email_svc@email_svc.msvc_default"
        ],
        timeout: 500
      ]
    ]
  ]
