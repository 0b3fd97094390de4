defmodule ClusterLab.MixProject do
  use Mix.Project

  # No dependencies on purpose: hex.pm is unreachable where the labs are built,
  # so everything here uses only Elixir and OTP's own applications.
  def project do
    [
      app: :clusterlab,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      deps: [],
      # ssl (and public_key, crypto, asn1) only loaded: `-proto_dist inet_tls` needs them
      # in the release's code path (lesson 6); nothing starts them otherwise. eex loaded:
      # the lab renders a lesson's rel/*.eex with it (ClusterLab.Rel), as mix release does.
      releases: [clusterlab: [include_executables_for: [:unix], applications: [ssl: :load, eex: :load]]]
    ]
  end

  def application do
    [
      mod: {ClusterLab.Application, []},
      extra_applications: [:logger, :inets]
    ]
  end
end
