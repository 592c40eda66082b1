namespace Berth.Engine.Metadata.Schema;

/// <summary>
/// One feature's part of the metadata database: its ordered migrations (never edit a shipped one, append a new one)
/// and the queries that find a reference to a layer (<c>$c</c> = chain ID) from its tables, so garbage collection
/// never frees a layer the feature still uses.
/// </summary>
public sealed record SchemaComponent(string Name, IReadOnlyList<string> Migrations, IReadOnlyList<string> LayerReferenceChecks);
