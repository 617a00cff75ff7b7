namespace Sockit.Tracing;

/// <summary>Something that records the bytes of one conversation as they pass: a hexdump on stderr, or a dump file.</summary>
internal interface IDataDump
{
    void Write(DataDirection direction, ReadOnlySpan<byte> data);
}
