package org.vlalign.llm.internal;

import org.vlalign.WeightFormat;

class Q4DecoderContractTest extends JvmDecoderContractTest {
    @Override
    protected WeightFormat format() {
        return WeightFormat.Q4;
    }
}
