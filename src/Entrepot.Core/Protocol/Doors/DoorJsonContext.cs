using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Entrepot.Core.Protocol.Doors;

[JsonSerializable(typeof(JsonObject))]
internal sealed partial class DoorJsonContext : JsonSerializerContext;
