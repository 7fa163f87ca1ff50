using System.IO.Pipelines;

namespace WsCore.Pipelines;

/// <summary>
/// The plain <see cref="IDuplexPipe"/>: a reader and a writer, for transports that come as a pair (a Kestrel upgrade's
/// <see cref="Stream"/>, an <c>SslStream</c>, two in-memory <see cref="Pipe"/>s).
/// </summary>
public sealed class DuplexPipe : IDuplexPipe
{
    /// <summary>Pairs a reader with a writer.</summary>
    /// <param name="input">Bytes from the peer.</param>
    /// <param name="output">Bytes to the peer.</param>
    public DuplexPipe(PipeReader input, PipeWriter output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        Input = input;
        Output = output;
    }

    /// <summary>Bytes from the peer.</summary>
    public PipeReader Input { get; }

    /// <summary>Bytes to the peer.</summary>
    public PipeWriter Output { get; }

    /// <summary>
    /// A duplex pipe over a bidirectional stream (a network stream, an HTTP upgrade's stream, an <c>SslStream</c>).
    /// By default the reader waits for data with a zero-byte read before it rents a buffer, so an idle connection holds
    /// none, and completing both sides disposes the stream.
    /// </summary>
    /// <param name="stream">A readable and writable stream.</param>
    /// <param name="readerOptions">Options of the reader; default: zero-byte reads, the stream disposed on completion.</param>
    /// <param name="writerOptions">Options of the writer; default: <see cref="StreamPipeWriterOptions"/>'s defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot read or cannot write.</exception>
    public static DuplexPipe Create(Stream stream, StreamPipeReaderOptions? readerOptions = null, StreamPipeWriterOptions? writerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanWrite) throw new ArgumentException("The stream must be readable and writable.", nameof(stream));
        return new DuplexPipe(PipeReader.Create(stream, readerOptions ?? s_zeroByteReads), PipeWriter.Create(stream, writerOptions));
    }

    /// <summary>
    /// Two connected in-memory endpoints: what one writes, the other reads. For tests, benchmarks and in-process peers.
    /// </summary>
    /// <param name="options">Options of both underlying pipes; <see cref="PipeOptions.Default"/> when null.</param>
    public static (DuplexPipe First, DuplexPipe Second) CreatePair(PipeOptions? options = null)
    {
        var toSecond = new Pipe(options ?? PipeOptions.Default);
        var toFirst = new Pipe(options ?? PipeOptions.Default);
        return (new DuplexPipe(toFirst.Reader, toSecond.Writer), new DuplexPipe(toSecond.Reader, toFirst.Writer));
    }

    private static readonly StreamPipeReaderOptions s_zeroByteReads = new(useZeroByteReads: true);
}
