package org.vlalign.llm.internal;

import org.vlalign.WeightFormat;

class Q8DecoderContractTest extends JvmDecoderContractTest {
    @Override
    protected WeightFormat format() {
        return WeightFormat.Q8;
    }
}
