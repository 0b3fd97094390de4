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
      releases: [clusterlab: [include_executables_for: [:unix]]]
    ]
  end

  def application do
    [
      mod: {ClusterLab.Application, []},
      extra_applications: [:logger, :inets]
    ]
  end
end
