using System.Text.Json.Serialization;
using Entrepot.Cli.Demo;

namespace Entrepot.Cli;

[JsonSerializable(typeof(DemoMarketData))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
