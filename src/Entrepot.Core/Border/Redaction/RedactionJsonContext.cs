using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Entrepot.Core.Border.Redaction;

[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class RedactionJsonContext : JsonSerializerContext;
